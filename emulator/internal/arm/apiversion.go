package arm

// The api-versions the emulator accepts, per resource type: the route
// table names one of these for every route. The lists include what the
// peers send (protocols §12.5, §18); anything else gets 400
// InvalidApiVersionParameter, as ARM does. Tenants are served by the
// subscriptions API; operation results by the one that started the
// operation (resource groups).
var (
	SubscriptionsAPI = []string{"2016-06-01", "2019-06-01", "2019-11-01", "2020-01-01", "2021-01-01", "2022-12-01"}
	GroupsAPI        = []string{"2019-08-01", "2020-06-01", "2021-01-01", "2021-04-01", "2022-09-01", "2023-07-01", "2024-03-01", "2024-11-01"}
)
